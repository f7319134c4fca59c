"""rasa-sdk Actions of Balcão. Run in process by the bot, or by `python -m rasa_sdk --actions actions`.

Actions: action_verify_identity, action_order_status, action_recent_orders,
action_payment_status, action_return_request, action_recommendations,
action_remember_occasion, action_reminders. They read
the customer store configured by `actions.configure(db_path)` (or BALCAO_DB), and the
notice store handed by `actions.configure_notices(store)`.
"""

from actions.store import configure, configure_notices

__all__ = ["configure", "configure_notices"]
