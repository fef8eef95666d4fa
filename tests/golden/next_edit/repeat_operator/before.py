def check(a, b, c):
    assert a == None
    assert b == None
    assert c != None
