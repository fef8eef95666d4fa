class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def get(self, path):
        return fetch(self.base_url + path)
