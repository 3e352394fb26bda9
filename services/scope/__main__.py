"""Run the scope service: `python -m services.scope`."""
from runtime.entry import main
from services.scope.bootstrap import ScopeSettings, bootstrap

main("scope", ScopeSettings, bootstrap)
