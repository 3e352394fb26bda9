"""Run the tasks service: `python -m services.tasks`."""
from runtime.entry import main
from services.tasks.bootstrap import TasksSettings, bootstrap

main("tasks", TasksSettings, bootstrap)
