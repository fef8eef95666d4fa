settings = {"debug": ┃}
