result = comp┃ute(values)
