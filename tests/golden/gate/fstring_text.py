message = f"hello {user} ┃"
