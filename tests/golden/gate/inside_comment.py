total = 0  # running sum┃
