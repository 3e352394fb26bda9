"""Run the publisher service: `python -m services.publisher`."""
from runtime.entry import main
from services.publisher.bootstrap import PublisherServiceSettings, bootstrap

main("publisher", PublisherServiceSettings, bootstrap)
