"""The one Secret writer's ownership rule: other tools' Secrets refused, the identity operator's taken over when asked."""

import pytest

from ansible_collections.azimuth.ops.plugins.module_utils.kubernetes import _cloud_credential as cc
from ansible_collections.azimuth.ops.plugins.module_utils.common._module import ModuleError
from ansible_collections.azimuth.ops.plugins.module_utils.common._naming import ADOPTED_ANNOTATION


def test_an_identity_operator_secret_is_refused_naming_the_option_and_taken_over_with_it():
    current = {"metadata": {"namespace": "zenith-services", "name": "oidc-discovery-a", "resourceVersion": "3",
                            "labels": {"app.kubernetes.io/managed-by": "azimuth-identity-operator"}},
               "type": "Opaque", "data": {"client-id": cc.encode("x")}}
    refusing = cc.CredentialSecret("zenith-services", "oidc-discovery-a", {"client-id": "x"}, provider=None)
    with pytest.raises(ModuleError, match="managed by azimuth-identity-operator .*set adopt: true to take it over"):
        refusing.patch(current)
    adopting = cc.CredentialSecret("zenith-services", "oidc-discovery-a", {"client-id": "x"}, provider=None,
                                   adopt_from="azimuth-identity-operator")
    patch = adopting.patch(current)
    assert patch == {"metadata": {"labels": {"app.kubernetes.io/managed-by": "azimuth-ops"},
                                  "annotations": {ADOPTED_ANNOTATION: "azimuth-identity-operator"}}}
    helm = dict(current, metadata=dict(current["metadata"], labels={"app.kubernetes.io/managed-by": "Helm"}))
    with pytest.raises(ModuleError, match="managed by Helm .*not the collection's to change$"):
        adopting.patch(helm)
