x = self.x
y = self.y
z = self.z

# print(x)
# print(y)
# print(z)

┃
