import os


def config_dir(home):
    return Path(home) / ".config"
