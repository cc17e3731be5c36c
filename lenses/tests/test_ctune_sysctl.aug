(*
Module: Test_Ctune_Sysctl
  Tests for the <Ctune_Sysctl> lens: run with
  > augparse -I lenses lenses/tests/test_ctune_sysctl.aug
  tests/lenses.test.sh also runs Augeas's own tests of the stock Sysctl
  lens against this one.
*)
module Test_Ctune_Sysctl =

(* Variable: conf
   What the stock lens reads too. *)
let conf = "# conntrack
; tuned
net.netfilter.nf_conntrack_max = 1210856
-net.netfilter.nf_conntrack_udp_timeout=60
net/netfilter/nf_conntrack_tcp_timeout_established =\t43200

  net.ipv4.conf.*.rp_filter = 2 # strict
net.ipv4.tcp_mem = 393216 524288 786432
kernel.empty =
"

(* Test: the common forms *)
test Ctune_Sysctl.lns get conf =
  { "#comment" = "conntrack" }
  { "#comment" = "tuned" }
  { "net.netfilter.nf_conntrack_max" = "1210856" }
  { "-net.netfilter.nf_conntrack_udp_timeout" = "60" }
  { "net/netfilter/nf_conntrack_tcp_timeout_established" = "43200" }
  { }
  { "net.ipv4.conf.*.rp_filter" = "2" { "#comment" = "strict" } }
  { "net.ipv4.tcp_mem" = "393216 524288 786432" }
  { "kernel.empty" = "" { } }

(* Test: forms the stock lens refuses and the tools accept *)
test Ctune_Sysctl.lns get "net.ipv4.ip_forward 1
- net.netfilter.nf_conntrack_max = 65536
-\tnet.netfilter.nf_conntrack_icmp_timeout=30
-net.netfilter.nf_conntrack_tcp_timeout_close
-  net.netfilter.nf_conntrack_tcp_timeout_close_wait
net.a@b = 1
= 5
" =
  { "#invalid" = "net.ipv4.ip_forward 1" }
  { "- net.netfilter.nf_conntrack_max" = "65536" }
  { "-\tnet.netfilter.nf_conntrack_icmp_timeout" = "30" }
  { "#exclude" = "net.netfilter.nf_conntrack_tcp_timeout_close" }
  { "#exclude" = "net.netfilter.nf_conntrack_tcp_timeout_close_wait" }
  { "net.a@b" = "1" }
  { "#invalid" = "= 5" }

(* Test: a byte order mark stays on the first line, as the tools read it *)
test Ctune_Sysctl.lns get "\239\187\191# comment
\239\187\191net.ipv4.ip_forward = 1
" =
  { "#invalid" = "\239\187\191# comment" }
  { "\239\187\191net.ipv4.ip_forward" = "1" }

(* Test: values are what the tools write: a comment needs a blank before it *)
test Ctune_Sysctl.lns get "a = 7067#x
b = 12h
c = == 7069
d = +7065 ;c
e = 5 #
" =
  { "a" = "7067#x" }
  { "b" = "12h" }
  { "c" = "== 7069" }
  { "d" = "+7065" { "#comment" = "c" } }
  { "e" = "5" }

(* Test: CRLF line ends, a blank CRLF line included *)
test Ctune_Sysctl.lns get "a = 1\r\n\r\n# c\r\nb = 2 \r\n" =
  { "a" = "1" }
  { }
  { "#comment" = "c" }
  { "b" = "2" }

(* Test: a value set in place keeps the line's layout and comment *)
test Ctune_Sysctl.lns put "  -net.netfilter.nf_conntrack_max\t=  65536 # ours\n- x = 1\n" after
  set "-net.netfilter.nf_conntrack_max" "1210856" ;
  set "- x" "2"
  = "  -net.netfilter.nf_conntrack_max\t=  1210856 # ours\n- x = 2\n"

(* Test: a new entry is written "key = value"; an exclusion can go *)
test Ctune_Sysctl.lns put "-net.netfilter.nf_conntrack_max\nnet.ipv4.ip_forward 1\n" after
  rm "#exclude" ;
  set "net.netfilter.nf_conntrack_max" "1210856"
  = "net.ipv4.ip_forward 1\nnet.netfilter.nf_conntrack_max = 1210856\n"

(* Test: an empty file gets its first entry *)
test Ctune_Sysctl.lns put "" after
  set "net.netfilter.nf_conntrack_max" "1210856"
  = "net.netfilter.nf_conntrack_max = 1210856\n"
