import os


def config_dir(home):
    return os.path.join(home, ".config")
