def greet(┃):
