-- One database per service: a service never reads another's tables (DESIGN.md).
CREATE DATABASE stagehook_workflow;
CREATE DATABASE stagehook_items;
CREATE DATABASE stagehook_webhooks;
CREATE DATABASE stagehook_delivery;
