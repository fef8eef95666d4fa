def load():
    return Config()
