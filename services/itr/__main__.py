"""Run the itr service: `python -m services.itr`."""
from runtime.entry import main
from services.itr.bootstrap import ItrSettings, bootstrap

main("itr", ItrSettings, bootstrap)
