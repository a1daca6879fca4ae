/* systems.c: the systems billsync connects to, and the settings each connection needs. */
#include "connectors/systems.h"

#include <string.h>

/* "url" fields default to the vendor's production address in each connector; they are
 * editable so a regional host (or a sandbox) can be used. */
static const struct system_info systems[] = {
    {"autotask", SYS_PSA, "Datto Autotask", "REST API v1.0; the zone is found automatically.",
     {{"username", "API user name", "The API-only user, like sync@yourmsp.com.", 0, 1},
      {"secret", "Secret", "The API user's password.", 1, 1},
      {"integration_code", "Integration code", "The tracking identifier on the API user's Security tab.", 1, 1},
      {"url", "API address", "Leave empty for https://webservices.autotask.net/ATServicesRest/.", 0, 0}}},
    {"connectwise", SYS_PSA, "ConnectWise Manage", "REST API 3.0 with an API member's keys.",
     {{"site", "Site", "Your ConnectWise address, like https://api-na.myconnectwise.net.", 0, 1},
      {"company_id", "Company ID", "The company you sign in with.", 0, 1},
      {"public_key", "Public key", "", 0, 1},
      {"private_key", "Private key", "", 1, 1},
      {"client_id", "Client ID", "From developer.connectwise.com.", 0, 1}}},
    {"interworks", SYS_SOURCE, "interworks.cloud BSS", "Platform API with an API client and user.",
     {{"url", "Platform address", "Like https://yourstore.interworks.cloud.", 0, 1},
      {"client_key", "Client key", "", 0, 1},
      {"client_secret", "Client secret", "", 1, 1},
      {"username", "API user", "", 0, 1},
      {"password", "API user password", "", 1, 1},
      {"api_version", "API version", "2.2 or 3 (default 3).", 0, 0}}},
    {"ingram", SYS_SOURCE, "Ingram Micro Cloud Marketplace",
     "Marketplace API with a staff user and the API product's subscription key.",
     {{"url", "API address", "Leave empty for https://api.cloud.im/marketplace/<marketplace>.", 0, 0},
      {"username", "API user name", "The staff user bound to your Marketplace API product.", 0, 1},
      {"password", "API user password", "", 1, 1},
      {"subscription_key", "Subscription key", "The X-Subscription-Key of your API product.", 1, 1},
      {"marketplace", "Marketplace", "Your marketplace code, like us, uk, de.", 0, 1}}},
    {"partnercenter", SYS_SOURCE, "Microsoft Partner Center (CSP)", "Customers, subscriptions and invoices.",
     {{"url", "API address", "Leave empty for https://api.partnercenter.microsoft.com.", 0, 0},
      {"tenant_id", "Partner tenant ID", "", 0, 1},
      {"client_id", "Application (client) ID", "", 0, 1},
      {"client_secret", "Client secret", "", 1, 1},
      {"token_url", "Token address", "Leave empty for login.microsoftonline.com.", 0, 0}}},
    {"pax8", SYS_SOURCE, "Pax8", "Partner API with client credentials.",
     {{"url", "API address", "Leave empty for https://api.pax8.com/v1.", 0, 0},
      {"client_id", "Client ID", "", 0, 1},
      {"client_secret", "Client secret", "", 1, 1},
      {"token_url", "Token address", "Leave empty for the Pax8 token service.", 0, 0}}},
    {"msp360", SYS_SOURCE, "MSP360 Managed Backup", "Backup storage usage, billed monthly.",
     {{"url", "API address", "Leave empty for https://api.mspbackups.com.", 0, 0},
      {"username", "API user", "", 0, 1},
      {"password", "API password", "", 1, 1}}},
    {"csv", SYS_SOURCE, "Distributor CSV file", "Upload a Microsoft CSP recon file or a distributor CSV each month.",
     {{"format", "File format", "mscsp (Microsoft recon) or generic (see the column list).", 0, 1}}},
};
#define NSYSTEMS (sizeof systems / sizeof systems[0])

const struct system_info *system_find(const char *system)
{
    for (size_t i = 0; system && i < NSYSTEMS; i++)
        if (strcmp(systems[i].system, system) == 0)
            return &systems[i];
    return NULL;
}

const struct system_info *system_at(int i)
{
    return i >= 0 && (size_t)i < NSYSTEMS ? &systems[i] : NULL;
}
