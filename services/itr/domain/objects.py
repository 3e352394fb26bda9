"""The Salesforce objects the mirror keeps (itr.md 1): for each, its API name, the fields read, the mirror's columns
and how it is followed incrementally. Pure data; the request object's API name is configurable."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REQUEST_OBJECT = "IT_Request__c"
STATUSES = ("New", "Triage", "In Progress", "Blocked", "Done", "Cancelled")
PRIORITIES = ("Low", "Medium", "High", "Urgent")
DELIVERABLES = ("Workbook", "PDF", "Dashboard", "Extract", "Repricing")
# The request's picklists and their values as itr.md lists them; Salesforce's describe replaces them when it answers.
PICKLISTS = {"Status__c": STATUSES, "Priority__c": PRIORITIES, "Deliverables__c": DELIVERABLES}
MULTI_SELECT = frozenset({"Deliverables__c"})
REQUIRED_REQUEST_FIELDS = ("Name", "Subject__c", "Status__c", "Client_Id__c")

# How a stream is followed: `changed` by a watermark field (queryAll, so deleted rows come too), `listing` in full on
# every sync (an object that carries no watermark of its own), `by_document` only for documents a link names.
CHANGED, LISTING = "changed", "listing"


@dataclass(frozen=True)
class MirroredObject:
    stream: str                         # the mirror's own name for it: a table and a watermark row
    api_name: str                       # the Salesforce object
    columns: tuple[tuple[str, str], ...]  # (mirror column, API field), the key first
    watermark_field: str = ""           # SystemModstamp, CreatedDate or LastModifiedDate; empty for a listing
    mode: str = CHANGED
    append_only: bool = False           # history: a row is added once and never changed
    deletable: bool = False             # carries IsDeleted
    parent_field: str = ""              # the field naming the request it hangs off ("" : reached through a link)
    required: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(field for _, field in self.columns)

    @property
    def key_field(self) -> str:
        return self.columns[0][1]


def history_object_of(request_object: str) -> str:
    """Salesforce names a custom object's field history `<Name>__History` (`IT_Request__c` → `IT_Request__History`)."""
    return f"{request_object.removesuffix('__c')}__History" if request_object.endswith("__c") else f"{request_object}History"


def mirrored_objects(request_object: str = DEFAULT_REQUEST_OBJECT) -> tuple[MirroredObject, ...]:
    """Every object in the order a sync follows them: requests first, so children find their parent mirrored."""
    return (
        MirroredObject("requests", request_object, (
            ("request_id", "Id"), ("name", "Name"), ("subject", "Subject__c"), ("description", "Description__c"),
            ("status", "Status__c"), ("priority", "Priority__c"), ("client_id", "Client_Id__c"),
            ("pbm_id", "PBM_Id__c"), ("tpa_id", "TPA_Id__c"), ("group_ids", "Group_Ids__c"),
            ("period_start", "Period_Start__c"), ("period_end", "Period_End__c"),
            ("deliverables", "Deliverables__c"), ("owner_id", "OwnerId"), ("created_date", "CreatedDate"),
            ("last_modified_date", "LastModifiedDate"), ("system_modstamp", "SystemModstamp"),
            ("is_deleted", "IsDeleted")),
            "SystemModstamp", deletable=True, required=REQUIRED_REQUEST_FIELDS),
        MirroredObject("history", history_object_of(request_object), (
            ("history_id", "Id"), ("request_id", "ParentId"), ("field", "Field"), ("old_value", "OldValue"),
            ("new_value", "NewValue"), ("created_by_id", "CreatedById"), ("created_date", "CreatedDate")),
            "CreatedDate", append_only=True, parent_field="ParentId", required=("ParentId", "Field", "CreatedDate")),
        MirroredObject("links", "ContentDocumentLink", (
            ("link_id", "Id"), ("request_id", "LinkedEntityId"), ("document_id", "ContentDocumentId")),
            mode=LISTING, parent_field="LinkedEntityId", required=("LinkedEntityId", "ContentDocumentId")),
        MirroredObject("versions", "ContentVersion", (
            ("version_id", "Id"), ("document_id", "ContentDocumentId"), ("title", "Title"),
            ("file_extension", "FileExtension"), ("content_size", "ContentSize"), ("checksum", "Checksum"),
            ("version_number", "VersionNumber"), ("is_latest", "IsLatest"), ("system_modstamp", "SystemModstamp")),
            "SystemModstamp", required=("ContentDocumentId", "Title", "Checksum")),
        MirroredObject("notes", "ContentNote", (
            ("note_id", "Id"), ("title", "Title"), ("text_preview", "TextPreview"), ("created_date", "CreatedDate"),
            ("last_modified_date", "LastModifiedDate")),
            "LastModifiedDate", required=("Title",)),
        MirroredObject("feed_items", "FeedItem", (
            ("feed_item_id", "Id"), ("request_id", "ParentId"), ("type", "Type"), ("body", "Body"),
            ("created_by_id", "CreatedById"), ("created_date", "CreatedDate"), ("system_modstamp", "SystemModstamp"),
            ("is_deleted", "IsDeleted")),
            "SystemModstamp", deletable=True, parent_field="ParentId", required=("ParentId",)),
        MirroredObject("comments", "FeedComment", (
            ("comment_id", "Id"), ("feed_item_id", "FeedItemId"), ("request_id", "ParentId"),
            ("body", "CommentBody"), ("created_by_id", "CreatedById"), ("created_date", "CreatedDate"),
            ("is_deleted", "IsDeleted")),
            "CreatedDate", deletable=True, parent_field="ParentId", required=("FeedItemId", "ParentId")),
    )


def by_stream(objects: tuple[MirroredObject, ...]) -> dict[str, MirroredObject]:
    return {o.stream: o for o in objects}
