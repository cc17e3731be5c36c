(*
Module: Ctune_Sysctl
  Parses sysctl.conf and sysctl.d files the way the tools that apply them
  at boot read them: every file systemd-sysctl (systemd 252) and procps
  `sysctl --system` accept parses, so ctune can edit it.

Author: the ctune project

About: Reference
  sysctl.d(5), systemd's src/sysctl/sysctl.c (parse_file) and procps'
  sysctl.c (parse_setting_line).  Both strip whitespace around a line,
  skip lines starting with '#' or ';', split "key = value" at the first
  '=', take a leading '-' as "ignore failure", and take a line "-key"
  without '=' as an exclusion (systemd: it also cancels an earlier
  assignment of key; both: a glob does not set key).  A line without '='
  is skipped with a warning.  There are no trailing comments for the
  tools: "5 # note" is written to the kernel as it stands, which takes the
  number and the blank after it; "5#note" is refused by the kernel.

  The stock Sysctl lens refuses several lines the tools accept: a line
  without '=' ("net.ipv4.ip_forward 1"), "- key = value" (a blank after
  the dash), a bare "-key", a UTF-8 byte order mark, a key with characters
  outside [*:/A-Za-z0-9_.-] and a CRLF blank line.  This lens accepts them
  and otherwise builds the same tree as the stock lens, so its tests pass
  against this lens too.  (Not handled: a file whose lines end in a
  carriage return alone.)

About: License
  LGPL v2+, like the rest of Augeas.

About: Lens Usage
  > /files/etc/sysctl.conf/net.netfilter.nf_conntrack_max = "1210856"
  Entries are labelled by the key as written (with its '-' prefix, and any
  blank after it); the value is the text after '=' up to the end of the
  line, blanks around it dropped, except a trailing comment started by a
  blank and '#' or ';', which is a "#comment" child as in the stock lens.
  A value the kernel would refuse ("5#x", "12h") is stored as written.
  Other lines:
  > #comment  a comment line
  > #exclude  "-key" without '=': the key, without the '-'
  > #invalid  a line without '=' (or starting with '='): its text
  A byte order mark stays part of the first line, as it does for the
  tools (a key starting with it names no sysctl).

About: Configuration files
  /etc/sysctl.conf and *.conf in the sysctl.d directories.  Not autoloaded:
  the stock Sysctl lens already claims /etc/sysctl.conf; ctune loads this
  one by name.

About: Examples
  The <Test_Ctune_Sysctl> file (lenses/tests/test_ctune_sysctl.aug) holds
  the tests, run by augparse.
*)

module Ctune_Sysctl =

(* View: eol
   Trailing blanks, a carriage return, the newline. *)
let eol = del /[ \t\r]*\n/ "\n"

(* View: indent *)
let indent = del /[ \t]*/ ""

(* Variable: text
   Characters without blanks at either end, on one line. *)
let text = /[^ \t\r\n]([^\r\n]*[^ \t\r\n])?/

(* View: empty
   A blank line, or a comment marker with nothing after it. *)
let empty = [ del /[ \t\r]*([#;][ \t\r]*)?\n/ "\n" ]

(* View: comment *)
let comment = [ label "#comment" . del /[ \t]*[#;][ \t]*/ "# " . store text . eol ]

(* Variable: key_re
   Anything up to the '=', blanks at its ends dropped; a '-' prefix and
   blanks after it are part of the label. *)
let key_re = /(-[ \t]*)?[^ \t\r\n=#;]([^\r\n=]*[^ \t\r\n=])?/ - /-[ \t]*[#;].*/

(* Variable: value_re
   The rest of the line, except a trailing comment (blank, then '#' or ';'). *)
let value_re = text - /.*[ \t][#;].*/

(* View: comment_eol
   A trailing comment after a value: a blank, '#' or ';', text. *)
let comment_eol = [ label "#comment" . del /[ \t]+[#;][ \t]*/ " # " . store text . eol ]

(* View: value_eol
   The end of a value's line, maybe with a comment marker and nothing after it. *)
let value_eol = del /([ \t]+[#;])?[ \t\r]*\n/ "\n"

(* View: entry
   key = value, or key = (an empty value). *)
let entry =
  let some_value = del /[ \t]*=[ \t]*/ " = " . store value_re . (value_eol | comment_eol)
  in let empty_value = [ del /[ \t]*=/ "=" ] . store "" . eol
  in [ indent . key key_re . (some_value | empty_value) ]

(* View: exclude
   "-key" without '='. *)
let exclude = [ label "#exclude" . indent . del /-[ \t]*/ "-"
              . store (/[^ \t\r\n=#;-]([^\r\n=]*[^ \t\r\n=])?/) . eol ]

(* View: invalid
   A line without '=' that is no comment and no exclusion, or a line
   starting with '=': the tools skip it. *)
let invalid = [ label "#invalid" . indent
              . store (/[^ \t\r\n#;=-]([^\r\n=]*[^ \t\r\n=])?/ | /=([^\r\n]*[^ \t\r\n])?/) . eol ]

(* View: lns *)
let lns = (empty | comment | entry | exclude | invalid)*

(* Variable: filter *)
let filter = incl "/etc/sysctl.conf"
           . incl "/etc/sysctl.d/*.conf"
           . incl "/run/sysctl.d/*.conf"
           . incl "/usr/local/lib/sysctl.d/*.conf"
           . incl "/usr/lib/sysctl.d/*.conf"
           . incl "/lib/sysctl.d/*.conf"
           . Util.stdexcl

let xfm = transform lns filter
