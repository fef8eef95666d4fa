class Order:
    def __init__(self, total):
        self.total = total
