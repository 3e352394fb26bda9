"""A Salesforce record becomes one mirror row: typed, scrubbed of Salesforce links and tokens, hashed, and flagged
when it is bad (never dropped)."""
from services.itr.domain.objects import PICKLISTS, by_stream, mirrored_objects
from services.itr.domain.records import LINK_REMOVED, TOKEN_REMOVED, Flag, normalize, scrub
from services.itr.domain.watermarks import canonical, read_from

OBJECTS = by_stream(mirrored_objects())
REQUEST = {"attributes": {"type": "IT_Request__c", "url": "/services/data/v62.0/sobjects/IT_Request__c/a0B1"},
           "Id": "a0B5g0000000001AAA", "Name": "ITR-000001", "Subject__c": "2025 AWP guarantee audit",
           "Status__c": "Triage", "Priority__c": "High", "Client_Id__c": "C001", "PBM_Id__c": "PBM_A",
           "Group_Ids__c": "C001-G01;C001-G02", "Deliverables__c": "Workbook;PDF", "IsDeleted": False,
           "SystemModstamp": "2025-03-04T15:22:10.000+0000"}


def test_a_good_request_is_typed_and_unflagged():
    normalized = normalize(OBJECTS["requests"], REQUEST, PICKLISTS)
    assert normalized.flags == ()
    row = normalized.row
    assert (row["request_id"], row["client_id"], row["is_deleted"], row["tpa_id"]) == (
        "a0B5g0000000001AAA", "C001", False, "")
    assert "attributes" not in row["fields_json"] and "/services/data" not in row["fields_json"]
    assert len(row["content_sha256"]) == 64


def test_the_same_record_hashes_the_same_and_a_change_does_not():
    first = normalize(OBJECTS["requests"], REQUEST, PICKLISTS).row["content_sha256"]
    again = normalize(OBJECTS["requests"], dict(REQUEST), PICKLISTS).row["content_sha256"]
    changed = normalize(OBJECTS["requests"], {**REQUEST, "Status__c": "Done"}, PICKLISTS).row["content_sha256"]
    assert first == again != changed


def test_bad_records_are_flagged_in_field_order():
    bad = {**REQUEST, "Subject__c": None, "Client_Id__c": "", "Status__c": "Waiting on PBM",
           "Deliverables__c": "Workbook;Fax"}
    flags = normalize(OBJECTS["requests"], bad, PICKLISTS).flags
    assert flags == (Flag("missing_field:Subject__c"), Flag("missing_field:Client_Id__c"),
                     Flag("unknown_picklist:Status__c", "Waiting on PBM"),
                     Flag("unknown_picklist:Deliverables__c", "Fax"))


def test_a_file_without_checksum_is_flagged_and_its_body_url_is_not_kept():
    version = {"Id": "0685g0000000001AAA", "ContentDocumentId": "0695g0000000001AAA", "Title": "Claims sample",
               "FileExtension": "csv", "ContentSize": 4096, "Checksum": None, "VersionNumber": "1", "IsLatest": True,
               "SystemModstamp": "2025-03-04T15:22:10Z",
               "VersionData": "/services/data/v62.0/sobjects/ContentVersion/0685g0000000001AAA/VersionData"}
    normalized = normalize(OBJECTS["versions"], version, PICKLISTS)
    assert normalized.flags == (Flag("missing_field:Checksum"),)
    assert "VersionData" not in str(normalized.row) and normalized.row["content_size"] == 4096
    assert normalized.row["system_modstamp"] == "2025-03-04T15:22:10.000+0000"


def test_scrub_removes_salesforce_links_paths_and_session_ids():
    text = ("see https://leafhealth.my.salesforce.com/lightning/r/IT_Request__c/a0B1/view and "
            "leafhealth.lightning.force.com/x, /services/data/v62.0/query?q=1, "
            "token 00D5g000000AbCd!AQ4AQH0dMHZfz972Szmpp9XeY3WZwEqqdfVrN1sLmq2")
    cleaned = scrub(text, ("sf.internal.example",))
    assert "salesforce.com" not in cleaned and "force.com" not in cleaned and "/services/data" not in cleaned
    assert "00D5g" not in cleaned and cleaned.count(LINK_REMOVED) == 3 and TOKEN_REMOVED in cleaned
    assert scrub("https://sf.internal.example/a/b", ("sf.internal.example",)) == LINK_REMOVED


def test_watermarks_are_canonical_and_read_again_below():
    assert canonical("2025-03-04T15:22:10Z") == canonical("2025-03-04T16:22:10.000+0100") == "2025-03-04T15:22:10.000+0000"
    assert read_from("2025-03-04T15:22:10.000+0000", 300) == "2025-03-04T15:17:10.000+0000"
    assert read_from("", 300) == ""
