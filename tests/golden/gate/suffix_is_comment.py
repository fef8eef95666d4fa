limit = ┃  # seconds
