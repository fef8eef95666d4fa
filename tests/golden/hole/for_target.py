# expect: for_target Job
class Job:
    name: str


def run(jobs: list[Job]) -> None:
    for ┃ in jobs:
        pass
