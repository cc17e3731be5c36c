{#- conntrack.sls - the conntrack table sized for the load, with ctune's
    Salt glue (plugin/salt: the ctune execution and state modules, synced to
    the minions with saltutil.sync_all).

      salt '*' state.apply conntrack test=True     # what would change
      salt '*' state.apply conntrack               # change it

    Pillar (all optional):
      ctune:
        max: 1210856                  # nf_conntrack_max
        buckets: 1210880              # the hash table, sized with max (one entry per bucket)
        tcp_timeout_established: 12h  # idle ESTABLISHED TCP connections
        file: /etc/sysctl.conf        # where the values persist
        root: /srv/image              # an offline image instead of this host
-#}
{%- set root = salt['pillar.get']('ctune:root', '') %}
conntrack-sized:
  ctune.tuned:
    - tunables:
        max: {{ salt['pillar.get']('ctune:max', 1210856) }}
        buckets: {{ salt['pillar.get']('ctune:buckets', 1210880) }}
        tcp_timeout_established: {{ salt['pillar.get']('ctune:tcp_timeout_established', '12h') }}
    - file: {{ salt['pillar.get']('ctune:file', '/etc/sysctl.conf') }}
    # Keys of the old ip_conntrack_* scheme left in the file become the
    # running kernel's names instead of being reported.
    - migrate: True
{%- if root %}
    - root: {{ root }}
{%- endif %}

# A key the old runbook set that this site no longer wants persisted: the
# running value stays, the line goes.
conntrack-no-udp-stream-override:
  ctune.absent:
    - name: udp_timeout_stream
    - file: {{ salt['pillar.get']('ctune:file', '/etc/sysctl.conf') }}
{%- if root %}
    - root: {{ root }}
{%- endif %}
