// ngame::train: every training stage, from a dataset to a model in memory.
#include "ngame/ngame.h"

namespace ngame {

Model train(const Dataset& data, const TrainConfig& config, TrainObserver* observer) {
  return Model(train_model(data, config, observer));
}

}  // namespace ngame
