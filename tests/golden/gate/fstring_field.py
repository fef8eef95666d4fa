message = f"hello {user.┃}"
