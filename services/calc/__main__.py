"""Run the calc service: `python -m services.calc`."""
from runtime.entry import main
from services.calc.bootstrap import CalcSettings, bootstrap

main("calc", CalcSettings, bootstrap)
