"""Queue backends, one contract (services/tasks/domain/task_queue.py): the database table, RabbitMQ, Azure Service Bus."""
