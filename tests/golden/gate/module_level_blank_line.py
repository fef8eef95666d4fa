import os

┃
