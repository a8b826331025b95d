import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_CLEARED: _ClassVar[Severity]
    SEVERITY_INDETERMINATE: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_MINOR: _ClassVar[Severity]
    SEVERITY_MAJOR: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class AlarmChange(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALARM_CHANGE_UNSPECIFIED: _ClassVar[AlarmChange]
    ALARM_CHANGE_RAISED: _ClassVar[AlarmChange]
    ALARM_CHANGE_CHANGED: _ClassVar[AlarmChange]
    ALARM_CHANGE_CLEARED: _ClassVar[AlarmChange]

class Window(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WINDOW_UNSPECIFIED: _ClassVar[Window]
    WINDOW_PERIOD: _ClassVar[Window]
    WINDOW_ROLLING: _ClassVar[Window]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_CLEARED: Severity
SEVERITY_INDETERMINATE: Severity
SEVERITY_WARNING: Severity
SEVERITY_MINOR: Severity
SEVERITY_MAJOR: Severity
SEVERITY_CRITICAL: Severity
ALARM_CHANGE_UNSPECIFIED: AlarmChange
ALARM_CHANGE_RAISED: AlarmChange
ALARM_CHANGE_CHANGED: AlarmChange
ALARM_CHANGE_CLEARED: AlarmChange
WINDOW_UNSPECIFIED: Window
WINDOW_PERIOD: Window
WINDOW_ROLLING: Window

class GetSlaStatusRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListSlaStatusesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSlaStatusesResponse(_message.Message):
    __slots__ = ("sla_statuses", "next_page_token")
    SLA_STATUSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sla_statuses: _containers.RepeatedCompositeFieldContainer[SlaStatus]
    next_page_token: str
    def __init__(self, sla_statuses: _Optional[_Iterable[_Union[SlaStatus, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("metric", "objective", "measured")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    metric: str
    objective: str
    measured: str
    def __init__(self, metric: _Optional[str] = ..., objective: _Optional[str] = ..., measured: _Optional[str] = ...) -> None: ...

class SlaStatus(_message.Message):
    __slots__ = ("name", "service", "customer", "sla_template", "compliant", "violations", "credit_percent", "health_score", "metrics", "no_data", "period_start_time", "period_end_time", "evaluate_time", "active_alarm_count")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SLA_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_SCORE_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    NO_DATA_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_TIME_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_TIME_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ALARM_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    service: str
    customer: str
    sla_template: str
    compliant: bool
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    credit_percent: str
    health_score: int
    metrics: _containers.ScalarMap[str, str]
    no_data: _containers.RepeatedScalarFieldContainer[str]
    period_start_time: _timestamp_pb2.Timestamp
    period_end_time: _timestamp_pb2.Timestamp
    evaluate_time: _timestamp_pb2.Timestamp
    active_alarm_count: int
    def __init__(self, name: _Optional[str] = ..., service: _Optional[str] = ..., customer: _Optional[str] = ..., sla_template: _Optional[str] = ..., compliant: _Optional[bool] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., credit_percent: _Optional[str] = ..., health_score: _Optional[int] = ..., metrics: _Optional[_Mapping[str, str]] = ..., no_data: _Optional[_Iterable[str]] = ..., period_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active_alarm_count: _Optional[int] = ...) -> None: ...

class Alarm(_message.Message):
    __slots__ = ("resource", "alarm_type_id", "alarm_type_qualifier", "service", "customer", "create_time", "cleared", "last_raise_time", "last_change_time", "perceived_severity", "alarm_text")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ALARM_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    ALARM_TYPE_QUALIFIER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    LAST_RAISE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    PERCEIVED_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ALARM_TEXT_FIELD_NUMBER: _ClassVar[int]
    resource: str
    alarm_type_id: str
    alarm_type_qualifier: str
    service: str
    customer: str
    create_time: _timestamp_pb2.Timestamp
    cleared: bool
    last_raise_time: _timestamp_pb2.Timestamp
    last_change_time: _timestamp_pb2.Timestamp
    perceived_severity: Severity
    alarm_text: str
    def __init__(self, resource: _Optional[str] = ..., alarm_type_id: _Optional[str] = ..., alarm_type_qualifier: _Optional[str] = ..., service: _Optional[str] = ..., customer: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cleared: _Optional[bool] = ..., last_raise_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., perceived_severity: _Optional[_Union[Severity, str]] = ..., alarm_text: _Optional[str] = ...) -> None: ...

class ListAlarmsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "show_cleared")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHOW_CLEARED_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    show_cleared: bool
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., show_cleared: _Optional[bool] = ...) -> None: ...

class ListAlarmsResponse(_message.Message):
    __slots__ = ("alarms", "next_page_token")
    ALARMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alarms: _containers.RepeatedCompositeFieldContainer[Alarm]
    next_page_token: str
    def __init__(self, alarms: _Optional[_Iterable[_Union[Alarm, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StreamSlaEventsRequest(_message.Message):
    __slots__ = ("parent", "resume_cursor")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RESUME_CURSOR_FIELD_NUMBER: _ClassVar[int]
    parent: str
    resume_cursor: str
    def __init__(self, parent: _Optional[str] = ..., resume_cursor: _Optional[str] = ...) -> None: ...

class AlarmEvent(_message.Message):
    __slots__ = ("change", "resource", "alarm_type_id", "alarm_type_qualifier", "service", "customer", "time", "perceived_severity", "alarm_text")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ALARM_TYPE_ID_FIELD_NUMBER: _ClassVar[int]
    ALARM_TYPE_QUALIFIER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    PERCEIVED_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ALARM_TEXT_FIELD_NUMBER: _ClassVar[int]
    change: AlarmChange
    resource: str
    alarm_type_id: str
    alarm_type_qualifier: str
    service: str
    customer: str
    time: _timestamp_pb2.Timestamp
    perceived_severity: Severity
    alarm_text: str
    def __init__(self, change: _Optional[_Union[AlarmChange, str]] = ..., resource: _Optional[str] = ..., alarm_type_id: _Optional[str] = ..., alarm_type_qualifier: _Optional[str] = ..., service: _Optional[str] = ..., customer: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., perceived_severity: _Optional[_Union[Severity, str]] = ..., alarm_text: _Optional[str] = ...) -> None: ...

class SlaResultEvent(_message.Message):
    __slots__ = ("window", "status")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    window: Window
    status: SlaStatus
    def __init__(self, window: _Optional[_Union[Window, str]] = ..., status: _Optional[_Union[SlaStatus, _Mapping]] = ...) -> None: ...

class SlaEvent(_message.Message):
    __slots__ = ("cursor", "alarm", "result")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    ALARM_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    alarm: AlarmEvent
    result: SlaResultEvent
    def __init__(self, cursor: _Optional[str] = ..., alarm: _Optional[_Union[AlarmEvent, _Mapping]] = ..., result: _Optional[_Union[SlaResultEvent, _Mapping]] = ...) -> None: ...

class ApplyServicesRequest(_message.Message):
    __slots__ = ("documents", "dry_run", "confirm_timeout_seconds")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    confirm_timeout_seconds: int
    def __init__(self, documents: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ..., confirm_timeout_seconds: _Optional[int] = ...) -> None: ...

class DeleteServiceRequest(_message.Message):
    __slots__ = ("name", "dry_run", "confirm_timeout_seconds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    dry_run: bool
    confirm_timeout_seconds: int
    def __init__(self, name: _Optional[str] = ..., dry_run: _Optional[bool] = ..., confirm_timeout_seconds: _Optional[int] = ...) -> None: ...

class DeviceChange(_message.Message):
    __slots__ = ("device", "edits", "payload")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    EDITS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    device: str
    edits: _containers.RepeatedScalarFieldContainer[str]
    payload: str
    def __init__(self, device: _Optional[str] = ..., edits: _Optional[_Iterable[str]] = ..., payload: _Optional[str] = ...) -> None: ...

class ChangeResult(_message.Message):
    __slots__ = ("transaction_id", "dry_run", "services", "device_changes")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    DEVICE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    transaction_id: int
    dry_run: bool
    services: _containers.RepeatedScalarFieldContainer[str]
    device_changes: _containers.RepeatedCompositeFieldContainer[DeviceChange]
    def __init__(self, transaction_id: _Optional[int] = ..., dry_run: _Optional[bool] = ..., services: _Optional[_Iterable[str]] = ..., device_changes: _Optional[_Iterable[_Union[DeviceChange, _Mapping]]] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("name", "customer", "document", "devices", "transaction_id", "update_time", "sla_template")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SLA_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    customer: str
    document: str
    devices: _containers.RepeatedScalarFieldContainer[str]
    transaction_id: int
    update_time: _timestamp_pb2.Timestamp
    sla_template: str
    def __init__(self, name: _Optional[str] = ..., customer: _Optional[str] = ..., document: _Optional[str] = ..., devices: _Optional[_Iterable[str]] = ..., transaction_id: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sla_template: _Optional[str] = ...) -> None: ...

class ListServicesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListServicesResponse(_message.Message):
    __slots__ = ("services", "next_page_token")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[Service]
    next_page_token: str
    def __init__(self, services: _Optional[_Iterable[_Union[Service, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetServiceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ValidationProblems(_message.Message):
    __slots__ = ("problems",)
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[ValidationProblem]
    def __init__(self, problems: _Optional[_Iterable[_Union[ValidationProblem, _Mapping]]] = ...) -> None: ...

class ValidationProblem(_message.Message):
    __slots__ = ("code", "path", "message", "document", "line")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    code: str
    path: str
    message: str
    document: str
    line: int
    def __init__(self, code: _Optional[str] = ..., path: _Optional[str] = ..., message: _Optional[str] = ..., document: _Optional[str] = ..., line: _Optional[int] = ...) -> None: ...

class DeviceFailures(_message.Message):
    __slots__ = ("failures",)
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    failures: _containers.RepeatedCompositeFieldContainer[DeviceFailure]
    def __init__(self, failures: _Optional[_Iterable[_Union[DeviceFailure, _Mapping]]] = ...) -> None: ...

class DeviceFailure(_message.Message):
    __slots__ = ("device", "outcome", "failed_step", "error")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FAILED_STEP_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    device: str
    outcome: str
    failed_step: str
    error: str
    def __init__(self, device: _Optional[str] = ..., outcome: _Optional[str] = ..., failed_step: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
