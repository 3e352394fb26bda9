"""Queue backends, one contract (services/tasks/domain/queue.py): the database table, RabbitMQ, Azure Service Bus."""
