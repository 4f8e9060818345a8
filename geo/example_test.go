package geo_test

import (
	"fmt"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

func ExampleHaversine_Leg() {
	ferryBuilding := model.LatLng(37.7955, -122.3937)
	oaklandCityHall := model.LatLng(37.8053, -122.2727)
	leg, err := geo.Haversine{}.Leg(ferryBuilding, oaklandCityHall)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f km by road, %v at 35 km/h\n", leg.Meters/1000, leg.Duration)
	// Output: 13.9 km by road, 23m49s at 35 km/h
}

func ExampleMatrix_Leg() {
	m, err := geo.NewMatrix(&model.Travel{
		Durations: [][]float64{{0, 600}, {660, 0}},
		Distances: [][]float64{{0, 5200}, {5400, 0}},
	})
	if err != nil {
		panic(err)
	}
	leg, _ := m.Leg(model.MatrixLocation(1), model.MatrixLocation(0))
	fmt.Println(leg.Duration, leg.Meters, "m")
	// Output: 11m0s 5400 m
}

func ExamplePoint() {
	p := geo.Point(model.LatLng(37.77, -122.41))
	fmt.Println("orb point (lng, lat):", p)
	// Output: orb point (lng, lat): [-122.41 37.77]
}

func ExampleKDTree_Nearest() {
	places := []model.Location{
		model.LatLng(37.8053, -122.2727), // Oakland City Hall
		model.LatLng(37.7955, -122.3937), // Ferry Building
		model.LatLng(37.7749, -122.4194), // San Francisco City Hall
		model.LatLng(37.8716, -122.2727), // Berkeley
	}
	tree, err := geo.NewKDTree(places)
	if err != nil {
		panic(err)
	}
	embarcadero := model.LatLng(37.7929, -122.3971)
	fmt.Println(tree.Nearest(embarcadero, 2, nil))
	// Output: [1 2]
}
