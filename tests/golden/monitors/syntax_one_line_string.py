x = 'abc┃
