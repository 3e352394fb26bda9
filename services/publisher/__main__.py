"""Run the publisher service: `python -m services.publisher`."""
from runtime.entry import main
from services.publisher.bootstrap import PublisherServiceSettings, bootstrap

# Guarded: the PDF worker process (adapters/pdf_process.py) imports this module again under another name.
if __name__ == "__main__":
    main("publisher", PublisherServiceSettings, bootstrap)
