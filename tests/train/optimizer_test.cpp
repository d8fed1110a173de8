// Optimizers: two hand-worked steps of each, defaults, weight decay,
// clipping, schedules, errors. Reference trajectories are in
// optimizer_golden_test.cpp, state save/resume in optimizer_state_test.cpp.
#include "stride/optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.hpp"

namespace stride {
namespace {

using test::error_of;

// One variable "w" of two elements with two steps of gradients:
// w0 given, g1 = (0.5, -1), g2 = (0.25, 0.5).
std::vector<std::vector<float>> two_steps(Optimizer& opt, std::vector<float> w0) {
  std::vector<Variable> vars{{"w", Tensor({2}, w0), Tensor({2})}};
  std::vector<std::vector<float>> out;
  for (const std::vector<float>& g : {std::vector<float>{0.5f, -1.0f}, {0.25f, 0.5f}}) {
    std::copy(g.begin(), g.end(), vars[0].gradient.begin());
    opt.apply(vars);
    out.push_back(vars[0].value.values());
  }
  return out;
}

// The hand values are exact arithmetic; the optimizers run in float32 as
// Keras does, so `tolerance` (absolute) allows for float32 rounding.
void expect_steps(const std::vector<std::vector<float>>& got,
                  const std::vector<std::vector<double>>& expected, double tolerance) {
  for (std::size_t s = 0; s < expected.size(); ++s) {
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_NEAR(got[s][i], expected[s][i], tolerance) << "step " << s + 1 << " element " << i;
    }
  }
}

TEST(Optimizer, SgdHandWorked) {
  // Plain, lr 0.1: w1 = (1, -2) - 0.1 * (0.5, -1) = (0.95, -1.9);
  // w2 = w1 - 0.1 * (0.25, 0.5) = (0.925, -1.95).
  OptimizerOptions o;
  o.learning_rate = 0.1;
  expect_steps(two_steps(*make_optimizer("sgd", o), {1, -2}), {{0.95, -1.9}, {0.925, -1.95}}, 1e-6);
  // Momentum 0.9: m1 = -0.1 g1 = (-0.05, 0.1), w1 = (0.95, -1.9);
  // m2 = 0.9 m1 - 0.1 g2 = (-0.045 - 0.025, 0.09 - 0.05) = (-0.07, 0.04), w2 = (0.88, -1.86).
  o.momentum = 0.9;
  expect_steps(two_steps(*make_optimizer("sgd", o), {1, -2}), {{0.95, -1.9}, {0.88, -1.86}}, 1e-6);
  // Nesterov: w1 = w0 + 0.9 m1 - 0.1 g1 = (1 - 0.045 - 0.05, -2 + 0.09 + 0.1) = (0.905, -1.81);
  // w2 = w1 + 0.9 m2 - 0.1 g2 = (0.905 - 0.063 - 0.025, -1.81 + 0.036 - 0.05) = (0.817, -1.824).
  o.nesterov = true;
  expect_steps(two_steps(*make_optimizer("sgd", o), {1, -2}), {{0.905, -1.81}, {0.817, -1.824}},
               1e-6);
}

TEST(Optimizer, AdamHandWorked) {
  // Defaults: lr 0.001, beta 0.9/0.999, eps 1e-7; w0 = (0.01, -0.02).
  // t=1: m = 0.1 g1 = (0.05, -0.1), v = 0.001 g1^2 = (0.00025, 0.001),
  //   alpha = 0.001 sqrt(0.001) / 0.1 = 3.16227766e-4,
  //   update = alpha m / (sqrt(v) + 1e-7) = (0.05 * 3.16227766e-4 / 0.0158114883,
  //   -0.1 * 3.16227766e-4 / 0.0316228766) = (9.999936755e-4, -9.999968377e-4).
  // t=2: m = m + (g2 - m) 0.1 = (0.07, -0.04), v = v + (g2^2 - v) 0.001 = (3.1225e-4, 1.249e-3),
  //   alpha = 0.001 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 2.353167253e-4,
  //   update = (0.07 alpha / (0.01767059705 + 1e-7), -0.04 alpha / (0.03534119409 + 1e-7))
  //          = (9.321743635e-4, -2.66336286e-4).
  // In float32 (as Keras) 1 - 0.999f^2 = 0.001998974 instead of 0.001999, so
  // alpha is off by ~7e-6 relative: 3e-8 of slack on ~1e-3 updates.
  expect_steps(two_steps(*make_optimizer("adam"), {0.01f, -0.02f}),
               {{0.009000006325, -0.01900000316}, {0.008067831961, -0.01873366688}}, 3e-8);
}

TEST(Optimizer, AdamWHandWorked) {
  // AdamW: weight_decay defaults to 0.004; before each Adam update
  // w -= w * 0.004 * 0.001: 0.01 -> 0.00999996, -0.02 -> -0.01999992, then the
  // Adam updates above: w1 = (0.008999966325, -0.01899992316); step 2 decays
  // to (0.008999930325, -0.01899984716) and subtracts (9.321743635e-4, -2.66336286e-4).
  auto opt = make_optimizer("AdamW");
  EXPECT_EQ(opt->name(), "adamw");
  expect_steps(two_steps(*opt, {0.01f, -0.02f}),
               {{0.008999966325, -0.01899992316}, {0.008067755961, -0.01873351088}}, 3e-8);
}

TEST(Optimizer, RmspropHandWorked) {
  // lr 0.001, rho 0.9, eps 1e-7 inside the sqrt; w0 = (0.01, -0.02).
  // t=1: v = 0.1 g1^2 = (0.025, 0.1); increment = 0.001 g / sqrt(v + 1e-7)
  //      = (0.0005 / 0.1581141958, -0.001 / 0.3162279182) = (3.162271336e-3, -3.162276079e-3).
  // t=2: v = 0.9 v + 0.1 g2^2 = (0.02875, 0.115);
  //      increment = (0.00025 / sqrt(0.0287501), 0.0005 / sqrt(0.1150001))
  //      = (1.474416997e-3, 1.47441892e-3).
  expect_steps(two_steps(*make_optimizer("rmsprop"), {0.01f, -0.02f}),
               {{0.006837728664, -0.01683772392}, {0.005363311667, -0.01831214284}}, 1e-8);
}

TEST(Optimizer, AdagradHandWorked) {
  // lr 0.001, accumulators start at 0.1, eps 1e-7 inside the sqrt; w0 = (0.01, -0.02).
  // t=1: acc = 0.1 + g1^2 = (0.35, 1.1); increment = 0.001 g / sqrt(acc + 1e-7)
  //      = (0.0005 / 0.5916080, -0.001 / 1.0488089) = (8.45154134e-4, -9.534625459e-4).
  // t=2: acc = (0.4125, 1.35); increment = (0.00025 / 0.6422616, 0.0005 / 1.1618950)
  //      = (3.892494249e-4, 4.30331467e-4).
  expect_steps(two_steps(*make_optimizer("adagrad"), {0.01f, -0.02f}),
               {{0.009154845866, -0.01904653745}, {0.008765596441, -0.01947686892}}, 1e-8);
}

TEST(Optimizer, DefaultsAndNames) {
  // Keras 3 defaults: SGD 0.01, the others 0.001.
  for (auto [name, lr] : std::vector<std::pair<std::string, double>>{{"sgd", 0.01},
                                                                     {"adam", 0.001},
                                                                     {"adamw", 0.001},
                                                                     {"rmsprop", 0.001},
                                                                     {"adagrad", 0.001}}) {
    auto opt = make_optimizer(name);
    EXPECT_EQ(opt->name(), name);
    EXPECT_DOUBLE_EQ(opt->learning_rate(), lr) << name;
    EXPECT_EQ(opt->iterations(), 0);
  }
  EXPECT_EQ(make_optimizer("RMSprop")->name(), "rmsprop");
  EXPECT_EQ(make_optimizer("SGD")->name(), "sgd");
  std::string msg = error_of([] { make_optimizer("nadam"); });
  EXPECT_NE(msg.find("unknown optimizer 'nadam'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("adagrad"), std::string::npos) << msg;
}

TEST(Optimizer, WeightDecayWhenSet) {
  // Zero gradients leave Adam's moments at 0 (update 0 / (0 + eps) = 0), so
  // only the decoupled decay moves w: w * (1 - wd * lr).
  auto zero_grad_step = [](const std::string& name, double wd) {
    OptimizerOptions o;
    o.weight_decay = wd;
    auto opt = make_optimizer(name, o);
    std::vector<Variable> vars{{"w", Tensor({2}, {1.0f, -2.0f}), Tensor({2})}};
    opt->apply(vars);
    return vars[0].value.values();
  };
  // AdamW default 0.004: (1 - 4e-6, -2 (1 - 4e-6)).
  EXPECT_NEAR(zero_grad_step("adamw", -1)[0], 0.999996, 1e-7);
  EXPECT_NEAR(zero_grad_step("adamw", -1)[1], -1.999992, 2e-7);
  // Keras 3 applies an explicit weight_decay in every optimizer: Adam with 0.1 -> 1 - 1e-4.
  EXPECT_NEAR(zero_grad_step("adam", 0.1)[0], 0.9999, 1e-7);
  // Adam's default is none.
  EXPECT_EQ(zero_grad_step("adam", -1)[0], 1.0f);
  EXPECT_NE(error_of([] {
              OptimizerOptions o;
              o.weight_decay = -0.5;
              make_optimizer("adam", o);
            }).find("weight_decay"),
            std::string::npos);
}

// SGD with lr 1 moves w by exactly minus the clipped gradient.
std::vector<std::vector<float>> clipped_by_sgd(const OptimizerOptions& clip,
                                               const std::vector<std::vector<float>>& grads) {
  OptimizerOptions o = clip;
  o.learning_rate = 1.0;
  auto opt = make_optimizer("sgd", o);
  std::vector<Variable> vars;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const Dim n = static_cast<Dim>(grads[i].size());
    vars.push_back({"v" + std::to_string(i), Tensor({n}), Tensor({n}, grads[i])});
  }
  opt->apply(vars);
  std::vector<std::vector<float>> moved;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    std::vector<float> d = vars[i].value.values();
    for (float& x : d) x = -x;
    moved.push_back(d);
    EXPECT_EQ(vars[i].gradient.values(), grads[i]);  // the gradient buffer is left alone
  }
  return moved;
}

TEST(Optimizer, Clipping) {
  // clipvalue 0.5: (0.3, -2, 0.7) -> (0.3, -0.5, 0.5).
  OptimizerOptions value;
  value.clipvalue = 0.5;
  auto moved = clipped_by_sgd(value, {{0.3f, -2.0f, 0.7f}});
  EXPECT_EQ(moved[0], (std::vector<float>{0.3f, -0.5f, 0.5f}));
  // clipnorm 1, per variable: (3, 4) has norm 5 -> (3, 4) * 1 / 5 = (0.6, 0.8);
  // (0.3, 0.4) has norm 0.5 <= 1 -> unchanged (divided by max(0.5, 1) = 1).
  OptimizerOptions norm;
  norm.clipnorm = 1.0;
  moved = clipped_by_sgd(norm, {{3, 4}, {0.3f, 0.4f}});
  EXPECT_FLOAT_EQ(moved[0][0], 0.6f);
  EXPECT_FLOAT_EQ(moved[0][1], 0.8f);
  EXPECT_EQ(moved[1], (std::vector<float>{0.3f, 0.4f}));
  // global_clipnorm 1: (3, 0) and (4,) have global norm 5 -> scale 1/5 -> (0.6, 0), (0.8).
  OptimizerOptions global;
  global.global_clipnorm = 1.0;
  moved = clipped_by_sgd(global, {{3, 0}, {4}});
  EXPECT_FLOAT_EQ(moved[0][0], 0.6f);
  EXPECT_EQ(moved[0][1], 0.0f);
  EXPECT_FLOAT_EQ(moved[1][0], 0.8f);
  // Below the limit: global norm 1 with clip 2 -> scale 2 * min(1, 1/2) = 1.
  global.global_clipnorm = 2.0;
  moved = clipped_by_sgd(global, {{0.6f, 0}, {0.8f}});
  EXPECT_EQ(moved[0], (std::vector<float>{0.6f, 0.0f}));
  // Keras 3 allows only one clip option.
  OptimizerOptions both;
  both.clipnorm = 1.0;
  both.clipvalue = 1.0;
  EXPECT_NE(error_of([&] { make_optimizer("adam", both); }).find("only one of"), std::string::npos);
}

TEST(Optimizer, Schedules) {
  // Exponential: 0.1 * 0.5^(step / 10): step 0 -> 0.1, 5 -> 0.1 * 0.5^0.5 = 0.0707107,
  // 10 -> 0.05, 15 -> 0.1 * 0.5^1.5 = 0.0353553; staircase floors 15/10 -> 0.05.
  LearningRateSchedule e{"exponential_decay", 0.1, 10, 0.5, false, 0};
  EXPECT_DOUBLE_EQ(e.at(0), 0.1);
  EXPECT_NEAR(e.at(5), 0.0707107, 1e-7);
  EXPECT_DOUBLE_EQ(e.at(10), 0.05);
  EXPECT_NEAR(e.at(15), 0.0353553, 1e-7);
  e.staircase = true;
  EXPECT_DOUBLE_EQ(e.at(5), 0.1);
  EXPECT_DOUBLE_EQ(e.at(15), 0.05);
  // Cosine, alpha 0.1: 0.1 * (0.9 * 0.5 (1 + cos(pi step / 10)) + 0.1): step 0 -> 0.1,
  // 5 -> 0.1 * (0.45 + 0.1) = 0.055, 10 -> 0.01, and it stays there (step capped).
  LearningRateSchedule c{"cosine_decay", 0.1, 10, 0, false, 0.1};
  EXPECT_DOUBLE_EQ(c.at(0), 0.1);
  EXPECT_NEAR(c.at(5), 0.055, 1e-15);
  EXPECT_NEAR(c.at(10), 0.01, 1e-15);
  EXPECT_NEAR(c.at(25), 0.01, 1e-15);
  EXPECT_DOUBLE_EQ((LearningRateSchedule{"constant", 0.3}.at(99)), 0.3);
  // The optimizer asks for the rate at its iteration count, and the schedule
  // overrides learning_rate.
  OptimizerOptions o;
  o.learning_rate = 5.0;
  o.schedule = LearningRateSchedule{"exponential_decay", 0.1, 1, 0.5, false, 0};
  auto opt = make_optimizer("sgd", o);
  EXPECT_DOUBLE_EQ(opt->learning_rate(), 0.1);
  std::vector<Variable> vars{{"w", Tensor({1}), Tensor({1}, {1.0f})}};
  opt->apply(vars);
  EXPECT_FLOAT_EQ(vars[0].value[0], -0.1f);  // step 0 used 0.1
  EXPECT_DOUBLE_EQ(opt->learning_rate(), 0.05);
  opt->apply(vars);
  EXPECT_FLOAT_EQ(vars[0].value[0], -0.15f);
  // Errors.
  EXPECT_NE(error_of([] {
              (LearningRateSchedule{"exponential_decay", 0.1, 0, 0.5}).at(1);
            }).find("decay_steps must be > 0"),
            std::string::npos);
  o.schedule->kind = "polynomial_decay";
  EXPECT_NE(error_of([&] { make_optimizer("sgd", o); }).find("unknown learning-rate schedule"),
            std::string::npos);
}

TEST(Optimizer, UpdatesWriteThroughViews) {
  // Variables are views into one parameter buffer (as the model holds them).
  Tensor params({3}, {1, 2, 3}), grads({3}, {1, 1, 1});
  std::vector<Variable> vars{{"a", Tensor::view(params, 0, {2}), Tensor::view(grads, 0, {2})},
                             {"b", Tensor::view(params, 2, {1}), Tensor::view(grads, 2, {1})}};
  OptimizerOptions o;
  o.learning_rate = 0.5;
  make_optimizer("sgd", o)->apply(vars);
  EXPECT_EQ(params.values(), (std::vector<float>{0.5f, 1.5f, 2.5f}));
}

TEST(Optimizer, NoVariablesIsNoStep) {
  auto opt = make_optimizer("adam");
  std::vector<Variable> none;
  opt->apply(none);
  EXPECT_EQ(opt->iterations(), 0);
  EXPECT_FALSE(opt->built());
}

TEST(Optimizer, VariableErrors) {
  auto opt = make_optimizer("sgd");
  std::vector<Variable> vars{{"w", Tensor({2}), Tensor({3})}};
  EXPECT_NE(error_of([&] { opt->apply(vars); }).find("its gradient has shape (3,)"),
            std::string::npos);
  std::vector<Variable> twins{{"w", Tensor({2}), Tensor({2})}, {"w", Tensor({1}), Tensor({1})}};
  EXPECT_NE(error_of([&] { make_optimizer("sgd")->apply(twins); }).find("two variables"),
            std::string::npos);
  std::vector<Variable> one{{"w", Tensor({2}), Tensor({2})}};
  opt->apply(one);
  std::vector<Variable> other{{"v", Tensor({2}), Tensor({2})}};
  EXPECT_NE(error_of([&] { opt->apply(other); }).find("built for 'w'"), std::string::npos);
  OptimizerOptions o;
  o.momentum = 1.5;
  EXPECT_NE(error_of([&] { make_optimizer("sgd", o); }).find("momentum"), std::string::npos);
}

}  // namespace
}  // namespace stride
