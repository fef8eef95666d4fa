# expect: default float
def wait(seconds: float = ┃
