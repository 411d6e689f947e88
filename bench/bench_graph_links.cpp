// The base layer of a saved HNSW graph (a model's labels.hnsw or memory.hnsw): how many links each node has and how
// many nodes no other node links to (those a search can only reach as the entry point). Usage:
// bench_graph_links GRAPH.hnsw DIM
#include <hnswlib/hnswlib.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_graph_links GRAPH.hnsw DIM\n");
    return 2;
  }
  hnswlib::InnerProductSpace space(std::stoul(argv[2]));  // only sizes the vectors; no distance is computed
  hnswlib::HierarchicalNSW<float> graph(&space, argv[1]);
  const size_t n = graph.cur_element_count;
  std::vector<uint32_t> in_links(n, 0);
  size_t links = 0;
  for (size_t node = 0; node < n; ++node) {
    unsigned int* list = graph.get_linklist0(static_cast<hnswlib::tableint>(node));
    const auto* ids = reinterpret_cast<const hnswlib::tableint*>(list + 1);
    const size_t count = graph.getListCount(list);
    links += count;
    for (size_t j = 0; j < count; ++j) ++in_links[ids[j]];
  }
  size_t none = 0, at_most_two = 0;
  for (uint32_t c : in_links) {
    none += c == 0;
    at_most_two += c <= 2;
  }
  std::printf("{\"bench\":\"graph_links\",\"nodes\":%zu,\"max_links\":%zu,\"mean_out_links\":%.1f,"
              "\"nodes_without_in_links\":%zu,\"nodes_with_at_most_2_in_links\":%zu}\n",
              n, graph.maxM0_, n ? static_cast<double>(links) / static_cast<double>(n) : 0.0, none, at_most_two);
  return 0;
}
