// Minimal hls::stream and hls::axis for g++ C-simulation; Vitis HLS synthesis uses the real headers.
#ifndef LIC_STREAM_H_
#define LIC_STREAM_H_

#ifdef __SYNTHESIS__
#include "ap_axi_sdata.h"
#include "hls_stream.h"
#else
#include "ap_int.h"
#include <deque>
#include <stdexcept>

namespace hls {

template <typename T>
class stream {
  public:
    stream() {}
    explicit stream(const char*) {}
    void write(const T& v) { q_.push_back(v); }
    T read() {
        if (q_.empty()) throw std::runtime_error("hls::stream read from empty stream");
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void operator<<(const T& v) { write(v); }
    void operator>>(T& v) { v = read(); }
    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    unsigned size() const { return static_cast<unsigned>(q_.size()); }

  private:
    std::deque<T> q_;
};

// AXI4-Stream beat (the subset of Vitis' ap_axi_sdata.h the tops use): TDATA, TKEEP, TSTRB, TLAST.
template <typename T, int WUser, int WId, int WDest>
struct axis {
    T data;
    ap_uint<(T::width + 7) / 8> keep;
    ap_uint<(T::width + 7) / 8> strb;
    ap_uint<1> last;
};

}  // namespace hls
#endif
#endif
