def check(a, b, c):
    assert a is None
    assert b == None
    assert c != None
