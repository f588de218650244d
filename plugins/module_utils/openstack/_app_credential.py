# -*- coding: utf-8 -*-
# Copyright: azimuth.ops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An application credential of the authenticated user, kept in a Kubernetes Secret.

Keystone shows a credential's secret only once, when it is created, so the Secret is where the
secret lives.  The credential is the one whose ID the Secret holds; when that is missing, gone,
different from what is asked, or (with ``verify``) refused by Keystone, the module rotates: it
creates a new credential, writes the Secret, and only then deletes the credentials it replaced.
A failure at any step leaves the Secret holding a credential that existed before the run.

Application credential names are unique per user, so while two generations coexist the new one is
called ``<name>-<8 hex digits>``; the credentials of this module are those of the user in the
current project called ``<name>`` or ``<name>-<8 hex digits>``.

Two runs that create the credential at once: Keystone refuses the second create of a name (409).
The run that lost settles on the winner's credential once the Secret holds it (``settle``), and
otherwise stops with a message that says so, having written nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import secrets as random
import time

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError, Secrets
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import MANAGED_BY, MANAGED_BY_LABEL

try:
    from keystoneauth1 import exceptions as ksa_exceptions
    from keystoneauth1 import session as ksa_session
    from keystoneauth1.identity import v3 as ksa_v3
except ImportError:  # pragma: no cover - the OpenStack base reports the missing library
    ksa_exceptions = ksa_session = ksa_v3 = None

EXCLUDED_DEFAULT_ROLES = ("admin",)
NEW = "(new application credential)"
# After losing a race to create the credential: how often, and how many seconds apart, to look for
# the winner's credential in the Secret.
SETTLE_ATTEMPTS = 5
SETTLE_INTERVAL = 1.0


def owns_name(credential_name, name):
    """Whether a credential called ``credential_name`` is a generation of the module's ``name``."""
    return credential_name == name or re.match(r"^%s-[0-9a-f]{8}$" % re.escape(name), credential_name or "") is not None


def next_name(name, taken):
    """``name`` when no credential of the user has it, else ``name-<8 hex digits>`` (unused)."""
    if name not in taken:
        return name
    while True:
        candidate = "%s-%s" % (name, random.token_hex(4))
        if candidate not in taken:
            return candidate


def desired_roles(requested, user_roles):
    """The roles (a list of {id, name}, by name) for the credential.

    ``user_roles`` are the user's roles in the project, as the token lists them.  Without
    ``requested``, all of them except ``admin``; an empty list means all of them (what Keystone
    gives a credential created without roles); otherwise each requested name or ID, which the
    user must hold.
    """
    if requested is not None and not requested:
        return sorted(user_roles, key=lambda role: role["name"])
    if requested is None:
        chosen = [role for role in user_roles if role["name"] not in EXCLUDED_DEFAULT_ROLES]
        if not chosen:
            raise ModuleError("the user has no role in the project other than %s; give roles explicitly"
                              % ", ".join(EXCLUDED_DEFAULT_ROLES))
    else:
        chosen = []
        for wanted in requested:
            match = [role for role in user_roles if wanted in (role["name"], role["id"])]
            if not match:
                raise ModuleError("the user has no role %s in the project; their roles are: %s"
                                  % (wanted, ", ".join(sorted(role["name"] for role in user_roles)) or "none"))
            if match[0] not in chosen:
                chosen.append(match[0])
    return sorted(chosen, key=lambda role: role["name"])


def normalise_expiry(value):
    """An expiry time as ``YYYY-MM-DDTHH:MM:SS`` in UTC (Keystone's form, without fractions), or None."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ModuleError("expires_at %r is not an ISO 8601 date and time, such as 2030-01-31T00:00:00Z" % value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def credential_view(credential):
    """A credential as plain data, without its secret."""
    if credential is None:
        return None
    return dict(
        id=credential.get("id"),
        name=credential.get("name"),
        description=credential.get("description"),
        project_id=credential.get("project_id"),
        roles=sorted(role.get("name") for role in credential.get("roles") or []),
        unrestricted=bool(credential.get("unrestricted")),
        expires_at=normalise_expiry(credential.get("expires_at")),
    )


def differences(current, desired):
    """The attributes in which an existing credential differs from the desired one (sorted names)."""
    have = credential_view(current)
    want = dict(description=desired["description"] or None, roles=sorted(r["name"] for r in desired["roles"]),
                unrestricted=bool(desired["unrestricted"]), expires_at=desired["expires_at"])
    found = []
    for key, value in want.items():
        current_value = have[key] or None if key == "description" else have[key]
        if current_value != value:
            found.append(key)
    return found


def is_conflict(exc):
    """Whether an openstacksdk exception is Keystone's 409 (a credential of that name exists)."""
    return getattr(exc, "status_code", None) == 409


def secret_data(context, credential_id, credential_secret, include_user_info, cacert):
    """The Secret's data (text values)."""
    cloud = cc.cloud_config(context["auth_url"], credential_id, credential_secret, region_name=context.get("region_name"),
                            interface=context.get("interface"), verify=False if context.get("verify") is False else None)
    data = {cc.CLOUDS_KEY: cc.dump_yaml(cloud)}
    if include_user_info:
        user_info = dict(project_id=context["project_id"], project_name=context["project_name"],
                         username=context["username"], user_id=context["user_id"])
        data["user_info.yaml"] = cc.dump_yaml(user_info)
    if cacert is not None:
        data["cacert"] = cacert
    return data


class AppCredential:
    """One run of azimuth.ops.app_credential; ``conn`` is an openstacksdk connection, ``kube`` CoreCalls."""

    def __init__(self, conn, kube, params, check_mode, retry, describe_error, secrets=None):
        """``secrets``: the run's ``Secrets``, where the credential's secret is registered as soon as it is seen."""
        self.conn = conn
        self.kube = kube
        self.params = params
        self.check_mode = check_mode
        self.retry = retry
        self.describe_error = describe_error
        self.secrets = Secrets() if secrets is None else secrets
        secret = params["secret"]
        self.namespace, self.secret_name = secret["namespace"], secret["name"]
        self.key = "%s/%s" % (self.namespace, self.secret_name)
        # Checked here, before anything is read or written: the names, labels and annotations.
        self.spec({})

    def spec(self, data):
        """The Secret as it should be, holding ``data``."""
        secret = self.params["secret"]
        return cc.CredentialSecret(self.namespace, self.secret_name, data, secret.get("labels"), secret.get("annotations"))

    # --- reading ------------------------------------------------------------------

    def context(self):
        """Who and where the connection is, from its token (no extra request)."""
        access = self.conn.session.auth.get_access(self.conn.session)
        verify, _cert = self.conn.config.get_requests_verify_args()
        return dict(
            user_id=access.user_id, username=access.username, project_id=access.project_id, project_name=access.project_name,
            roles=[dict(id=i, name=n) for i, n in zip(access.role_ids, access.role_names)],
            auth_url=self.conn.config.get_auth_args().get("auth_url"), region_name=self.conn.config.get_region_name() or None,
            interface=self.conn.config.get_interface() or "public", verify=verify,
        )

    def cacert(self, context):
        if not self.params["include_cacert"] or not isinstance(context["verify"], str):
            return None
        try:
            with open(context["verify"], "r") as handle:
                return handle.read()
        except (IOError, OSError) as exc:
            raise ModuleError("Could not read the CA file %s for include_cacert: %s" % (context["verify"], exc))

    def credentials(self, user_id):
        return [credential.to_dict(computed=False) for credential in self.conn.identity.application_credentials(user_id)]

    def authenticates(self, context, credential_id, credential_secret):
        """Whether Keystone accepts the stored credential (``verify``); unreachable is an error, not a no."""
        auth = ksa_v3.ApplicationCredential(auth_url=context["auth_url"], application_credential_id=credential_id,
                                            application_credential_secret=credential_secret)
        verify, cert = self.conn.config.get_requests_verify_args()
        session = ksa_session.Session(auth=auth, verify=verify, cert=cert)
        try:
            session.get_token()
        except (ksa_exceptions.Unauthorized, ksa_exceptions.NotFound, ksa_exceptions.Forbidden):
            return False
        return True

    # --- the run ------------------------------------------------------------------

    def run(self):
        context = self.context()
        name = self.params["name"]
        secret = self.kube.read_secret(self.namespace, self.secret_name)
        data = cc.decode_data(secret) if secret is not None else None
        stored_id, stored_secret = cc.stored_credential((data or {}).get(cc.CLOUDS_KEY))
        if stored_secret:
            self.secrets.add(stored_secret, held_in=data.values())
        everything = self.credentials(context["user_id"])
        ours = [c for c in everything if c.get("project_id") == context["project_id"] and owns_name(c.get("name"), name)]
        result = dict(
            changed=False, rotated=False, reason=None, deleted_credentials=[],
            project=dict(id=context["project_id"], name=context["project_name"]),
            user=dict(id=context["user_id"], name=context["username"]),
            secret=dict(namespace=self.namespace, name=self.secret_name),
        )
        if self.params["state"] == "absent":
            return self.absent(result, secret, data, ours, stored_id)
        return self.present(result, context, secret, data, everything, ours, stored_id, stored_secret)

    def rotation_reason(self, context, secret, stored_id, stored_secret, current, desired):
        """Why the credential the Secret holds must be replaced, or None to keep it."""
        if secret is None:
            return "the Secret %s does not exist" % self.key
        if not stored_id or not stored_secret:
            return "the Secret %s holds no application credential" % self.key
        if current is None:
            return "the application credential %s that the Secret holds no longer exists" % stored_id
        changed_attributes = differences(current, desired)
        if changed_attributes:
            return "the application credential %s differs in %s" % (stored_id, ", ".join(changed_attributes))
        if self.params["verify"] and not self.authenticates(context, stored_id, stored_secret):
            return "Keystone refused the application credential %s that the Secret holds" % stored_id
        return None

    def present(self, result, context, secret, data, everything, ours, stored_id, stored_secret):
        desired = dict(description=self.params["description"], roles=desired_roles(self.params["roles"], context["roles"]),
                       unrestricted=self.params["unrestricted"], expires_at=normalise_expiry(self.params["expires_at"]))
        cacert = self.cacert(context)
        current = next((c for c in ours if c.get("id") == stored_id), None) if stored_id else None
        reason = self.rotation_reason(context, secret, stored_id, stored_secret, current, desired)
        keep = None if reason else current
        replaced = [c for c in ours if keep is None or c.get("id") != keep.get("id")]
        new_name = next_name(self.params["name"], set(c.get("name") for c in everything)) if reason else None

        spec = self.spec(secret_data(context, keep["id"] if keep else NEW, stored_secret if keep else NEW,
                                     self.params["include_user_info"], cacert))
        # The ownership rule, before anything is written (in check mode too).
        patch = spec.patch(secret) if secret is not None else None
        after_credential = credential_view(keep) if keep else dict(
            id=None, name=new_name, description=desired["description"], project_id=context["project_id"],
            roles=[r["name"] for r in desired["roles"]], unrestricted=bool(desired["unrestricted"]), expires_at=desired["expires_at"])
        result.update(
            changed=bool(reason or replaced or patch or secret is None), rotated=bool(reason), reason=reason,
            deleted_credentials=[c["id"] for c in replaced], credential=after_credential,
        )
        result["diff"] = dict(
            before=dict(credential=credential_view(current) if current else None, other_credentials=[c["id"] for c in ours if c is not current],
                        secret=cc.secret_view(secret["metadata"], data) if secret is not None else None),
            after=dict(credential=after_credential, other_credentials=[], secret=spec.view(secret, previous=data)),
        )
        if self.check_mode or not result["changed"]:
            return result
        if reason:
            self.rotate(result, context, secret, data, new_name, desired, cacert)
        elif patch or secret is None:
            spec.write(self.kube, secret, self.retry)
        self.delete_replaced(replaced, result["credential"]["id"])
        return result

    def absent(self, result, secret, data, ours, stored_id):
        held = next((c for c in ours if stored_id and c.get("id") == stored_id), None)
        before = dict(credential=credential_view(held), other_credentials=[c["id"] for c in ours if c is not held],
                      secret=cc.secret_view(secret["metadata"], data) if secret else None)
        if secret is not None:
            cc.CredentialSecret(self.namespace, self.secret_name, {}).check(secret)
            managed = (secret["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
            if not managed and stored_id not in [c["id"] for c in ours]:
                raise ModuleError("the Secret %s is not managed by %s (no label %s=%s) and holds none of its credentials; not deleting it"
                                  % (self.key, MANAGED_BY, MANAGED_BY_LABEL, MANAGED_BY))
        result.update(changed=bool(secret is not None or ours), credential=None, deleted_credentials=[c["id"] for c in ours],
                      diff=dict(before=before, after=dict(credential=None, other_credentials=[], secret=None)))
        if self.check_mode:
            return result
        if secret is not None:
            cc.CredentialSecret(self.namespace, self.secret_name, {}).delete(self.kube, secret)
        self.delete_replaced(ours, None)
        return result

    # --- writing ------------------------------------------------------------------

    def create(self, name, desired):
        attrs = dict(roles=[dict(id=role["id"]) for role in desired["roles"]], unrestricted=bool(desired["unrestricted"]))
        if desired["description"]:
            attrs["description"] = desired["description"]
        if desired["expires_at"]:
            attrs["expires_at"] = desired["expires_at"]
        user_id = self.conn.session.auth.get_access(self.conn.session).user_id
        credential = self.conn.identity.create_application_credential(user_id, name, **attrs)
        return credential.to_dict(computed=False)

    def rotate(self, result, context, secret, data, new_name, desired, cacert):
        """Create the new credential and write it to the Secret (undoing the creation when the Secret does not hold it)."""
        try:
            created = self.create(new_name, desired)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not is_conflict(exc):
                raise
            self.settle(result, context, new_name, desired)
            return
        new_data = secret_data(context, created["id"], created["secret"], self.params["include_user_info"], cacert)
        self.secrets.add(created["secret"], held_in=new_data.values())
        spec = self.spec(new_data)
        result["credential"] = credential_view(created)
        result["diff"]["after"].update(credential=result["credential"], secret=spec.view(secret, previous=data))
        try:
            spec.write(self.kube, secret, self.retry)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self.after_failed_write(created, exc)

    def settle(self, result, context, name, desired, sleep=time.sleep):
        """Another run created the credential ``name`` first: take it once the Secret holds it, else stop (nothing written)."""
        winner = None
        for attempt in range(SETTLE_ATTEMPTS):
            if attempt:
                sleep(SETTLE_INTERVAL)
            winner = next((c for c in self.credentials(context["user_id"]) if c.get("name") == name), None)
            held = self.kube.read_secret(self.namespace, self.secret_name)
            data = cc.decode_data(held) if held is not None else {}
            held_id, held_secret = cc.stored_credential(data.get(cc.CLOUDS_KEY))
            if winner is not None and held_id == winner["id"]:
                break
        else:
            raise ModuleError("Could not create the application credential %s: another run created it at the same time%s, and the "
                              "Secret %s does not hold it; run the module again once the other run has finished (it keeps the "
                              "credential the Secret holds and deletes the other)"
                              % (name, " (ID %s)" % winner["id"] if winner else "", self.key), changed=False)
        self.secrets.add(held_secret, held_in=data.values())
        differ = differences(winner, desired)
        if differ:
            raise ModuleError("Could not create the application credential %s: another run created it at the same time (ID %s), "
                              "and it differs from this run's in %s; run the module again to replace it"
                              % (name, winner["id"], ", ".join(differ)), changed=False)
        result.update(changed=bool(result["deleted_credentials"]), rotated=False, credential=credential_view(winner))
        result["diff"]["after"].update(credential=result["credential"], secret=cc.secret_view(held["metadata"], data))

    def after_failed_write(self, created, exc):
        """The Secret write failed, or its reply was lost: go on when the Secret holds the new credential, else undo."""
        message = "Could not write the Secret %s: %s" % (self.key, self.describe(exc))
        try:
            held = self.kube.read_secret(self.namespace, self.secret_name)
        except Exception as read_exc:  # pylint: disable=broad-exception-caught
            raise ModuleError("%s; reading it back failed too (%s), so the new application credential %s was kept in case "
                              "the Secret holds it: run again, which deletes it if not" % (message, self.describe(read_exc), created["id"]),
                              changed=True, credential=credential_view(created))
        held_id = cc.stored_credential(cc.decode_data(held).get(cc.CLOUDS_KEY))[0] if held is not None else None
        if held_id != created["id"]:
            raise ModuleError(self.undo(created, message), changed=True)

    def undo(self, created, message):
        """Delete the credential just created after the Secret could not be written; the message to fail with."""
        user_id = self.conn.session.auth.get_access(self.conn.session).user_id
        try:
            self.conn.identity.delete_application_credential(user_id, created["id"])
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return ("%s; the new application credential %s could not be deleted either (%s): delete it by hand. "
                    "The Secret does not hold it." % (message, created["id"], self.describe(exc)))
        return "%s. The new application credential %s was deleted again; the Secret does not hold it." % (message, created["id"])

    def delete_replaced(self, replaced, kept_id):
        user_id = self.conn.session.auth.get_access(self.conn.session).user_id
        for credential in replaced:
            try:
                self.conn.identity.delete_application_credential(user_id, credential["id"], ignore_missing=True)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                held = ("the Secret %s holds the new application credential %s; " % (self.key, kept_id)) if kept_id else ""
                raise ModuleError("%scould not delete the replaced application credential %s (%s): %s; run again to delete it"
                                  % (held, credential["id"], credential.get("name"), self.describe(exc)), changed=True)

    def describe(self, exc):
        return self.describe_error(exc) or str(exc)
