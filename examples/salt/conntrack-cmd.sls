{#- conntrack-cmd.sls - the same tuning with no Salt module of ctune's: the
    ctune executable run by cmd.run with stateful: True.  ctune prints one
    JSON object with "changed" (and its message), which Salt reads as the
    state's own report; ctune's exit status decides success.  In test mode
    Salt runs test_name instead, the same request with --check.

    Pillar: ctune:root (optional), as in conntrack.sls; ctune:bin, the
    executable, read like the Salt modules read it (config.get: minion
    config, grains, then pillar), else `ctune` from the minion's PATH.
-#}
{%- set bin = salt['config.get']('ctune:bin', 'ctune') %}
{%- set root = salt['pillar.get']('ctune:root', '') %}
{%- set args = 'max=1210856 buckets=1210880 tcp_timeout_established=12h --migrate --format json' %}
{%- if root %}{% set args = args ~ ' --root ' ~ root %}{% endif %}
conntrack-sized:
  cmd.run:
    - name: {{ bin }} set {{ args }}
    - stateful:
      - test_name: {{ bin }} set {{ args }} --check
