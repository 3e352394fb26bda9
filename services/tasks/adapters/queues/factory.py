"""The queue LEAF_QUEUE names, built only when asked for (a broker client is never made at import)."""
from __future__ import annotations

from sqlalchemy import Engine

from services.tasks.adapters.queues.settings import QueueSettings
from services.tasks.domain.task_queue import TaskQueue


def open_queue(settings: QueueSettings, engine: Engine) -> TaskQueue:
    """`engine` is the tasks database: the db queue lives in it, RabbitMQ keeps its duplicate records there."""
    if settings.LEAF_QUEUE == "rabbitmq":
        from services.tasks.adapters.queues.rabbitmq_queue import RabbitTaskQueue

        return RabbitTaskQueue(settings.LEAF_AMQP_URL.get_secret_value(), engine)
    if settings.LEAF_QUEUE == "servicebus":
        from services.tasks.adapters.queues.servicebus_queue import ServiceBusTaskQueue

        connection = settings.LEAF_SERVICEBUS_CONNECTION
        return ServiceBusTaskQueue.connect(connection.get_secret_value() if connection else None,
                                           settings.LEAF_SERVICEBUS_NAMESPACE)
    from services.tasks.adapters.queues.db_queue import DbTaskQueue

    return DbTaskQueue(engine)
