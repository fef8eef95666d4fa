async def ti┃cks(n):
    for i in range(n):
        yield i
