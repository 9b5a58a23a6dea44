// tests/reports/decode_test.cpp — values print decoded where the model knows them: BPF ring
// buffer headers as BUSY|DISCARD|len=N at their data offset, not as bare decimals.
#include <gtest/gtest.h>

#include "model/bpf_ringbuf/ring_api.h"
#include "reports/text_trace.h"
#include "tests/reports/report_checks.h"

namespace {

TEST(Decode, RingbufHeaderLenWord) {
  using model::bpf_ringbuf::decode_hdr_len;
  EXPECT_EQ(decode_hdr_len(24), "len=24");
  EXPECT_EQ(decode_hdr_len(24u | (1u << 31)), "BUSY|len=24");
  EXPECT_EQ(decode_hdr_len(24u | (1u << 31) | (1u << 30)), "BUSY|DISCARD|len=24");
  EXPECT_EQ(decode_hdr_len(2147486712u), "BUSY|len=3064");
}

TEST(Decode, RingbufTraceShowsHeaders) {
  auto r = reports_test::record("scenarios/bpf_ringbuf/quickstart.toml", 1, 0);
  std::string text = reports::render_text_trace(*r->sim, r->result);
  EXPECT_NE(text.find("store hdr->len at rb0->data+0 = BUSY|len="), std::string::npos) << text.substr(0, 3000);
  EXPECT_NE(text.find("xchg hdr->len = len="), std::string::npos);
  EXPECT_EQ(text.find("load rb0->data"), std::string::npos) << "no header word printed raw";
}

}  // namespace
