import os
import ┃
