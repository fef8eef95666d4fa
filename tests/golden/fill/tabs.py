# kind: body
class Box:
	def size(self) -> int:
├		...┃┤
