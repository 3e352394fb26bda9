"""Run the takeover service: `python -m services.takeover`."""
from runtime.entry import main
from services.takeover.bootstrap import TakeoverSettings, bootstrap

main("takeover", TakeoverSettings, bootstrap)
