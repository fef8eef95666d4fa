import sys


def main():
    print(Order(len(sys.argv)))
