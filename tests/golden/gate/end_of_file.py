import os
┃