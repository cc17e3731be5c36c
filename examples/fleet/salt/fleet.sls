# fleet.sls - an orchestrate state (salt-run state.orchestrate fleet) doing
# what report.sh does: the facts of every minion, then the report on the
# master.  ctune.facts returns the facts object; the report reads Salt's
# --out=json --static shape, which report.sh writes.
gather_conntrack_facts:
  salt.function:
    - name: ctune.facts
    - tgt: '*'

fleet_report:
  salt.runner:
    - name: salt.cmd
    - fun: cmd.run
    - cmd: "salt '*' ctune.facts --out=json --static > /var/tmp/ctune-fleet.json && ctune report /var/tmp/ctune-fleet.json --format html --output /var/tmp/ctune-fleet.html"
    - python_shell: true
    - require:
        - salt: gather_conntrack_facts
