def greet┃(name, greeting='hi'):
    '''Say hello.'''
    return f"{greeting} {name}"
