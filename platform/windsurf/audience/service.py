"""The audience domain's operations (re-exported from its modules): contacts and consent, broadcasts."""

from windsurf.audience.automations import remind_unpaid_checkout as remind_unpaid_checkout
from windsurf.audience.automations import thank_buyer as thank_buyer
from windsurf.audience.broadcasts import BroadcastView as BroadcastView
from windsurf.audience.broadcasts import Estimate as Estimate
from windsurf.audience.broadcasts import create_broadcast as create_broadcast
from windsurf.audience.broadcasts import delivery_counts as delivery_counts
from windsurf.audience.broadcasts import estimate as estimate
from windsurf.audience.broadcasts import failed_deliveries as failed_deliveries
from windsurf.audience.broadcasts import get_broadcast as get_broadcast
from windsurf.audience.broadcasts import list_broadcasts as list_broadcasts
from windsurf.audience.broadcasts import request_test_send as request_test_send
from windsurf.audience.broadcasts import save_telegram_channel as save_telegram_channel
from windsurf.audience.broadcasts import start_broadcast as start_broadcast
from windsurf.audience.broadcasts import telegram_channel as telegram_channel
from windsurf.audience.contacts import (
    ContactView as ContactView,
)
from windsurf.audience.contacts import (
    add_contact as add_contact,
)
from windsurf.audience.contacts import (
    all_tags as all_tags,
)
from windsurf.audience.contacts import (
    delete_contact as delete_contact,
)
from windsurf.audience.contacts import (
    edit_contact as edit_contact,
)
from windsurf.audience.contacts import (
    erase as erase,
)
from windsurf.audience.contacts import (
    export_csv as export_csv,
)
from windsurf.audience.contacts import (
    get_contact as get_contact,
)
from windsurf.audience.contacts import (
    import_contacts as import_contacts,
)
from windsurf.audience.contacts import (
    list_contacts as list_contacts,
)
from windsurf.audience.contacts import (
    may_send as may_send,
)
from windsurf.audience.contacts import (
    stop_sms as stop_sms,
)
from windsurf.audience.contacts import (
    unsubscribe as unsubscribe,
)
from windsurf.audience.contacts import (
    unsubscribe_if_present as unsubscribe_if_present,
)
from windsurf.audience.inputs import BroadcastDraft as BroadcastDraft
from windsurf.audience.inputs import LeadCapture as LeadCapture
from windsurf.audience.inputs import NewContact as NewContact
from windsurf.audience.inputs import lead_capture as lead_capture
from windsurf.audience.links import read_unsubscribe_token as read_unsubscribe_token
from windsurf.audience.links import unsubscribe_token as unsubscribe_token
from windsurf.audience.links import unsubscribe_url as unsubscribe_url
